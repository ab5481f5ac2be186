/// <reference types="astro/client" />

interface ImportMetaEnv {
  /** Absolute path of the repository root, defined in astro.config.mjs. */
  readonly REPO_ROOT: string
}

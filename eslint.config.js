// @ts-check
import js from '@eslint/js'
import tseslint from 'typescript-eslint'
import importX from 'eslint-plugin-import-x'

export default tseslint.config(
  {
    ignores: [
      'node_modules/**',
      'site/dist/**',
      'site/.astro/**',
      'site/node_modules/**',
      // Generated at build time by starlight-typedoc.
      'site/src/content/docs/api/**',
      'results/**',
      'coverage/**',
      'test-output/**',
      // Left by an Astro build run from the repository root (gitignored too).
      '.astro/**',
      'eslint.config.js',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        // The site's config files are plain JavaScript outside every tsconfig.
        projectService: { allowDefaultProject: ['site/*.mjs'] },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    plugins: { 'import-x': importX },
    settings: {
      'import-x/resolver': { node: { extensions: ['.ts', '.mjs', '.js'] } },
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts'] },
    },
    rules: {
      // No import circle anywhere: a module is loaded before everything it imports.
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
    },
  },
  {
    // Orchestration stays in parts a reader can hold: no function of the servers or the load
    // tools over 120 lines (tests' describe blocks are lists of cases, not logic).
    files: ['load/**/*.ts', 'servers/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: {
      'max-lines-per-function': ['error', { max: 120, skipBlankLines: false, skipComments: false }],
    },
  },
  {
    // One convention for private members (CONTRIBUTING.md): ECMAScript `#`, not TypeScript's
    // `private`, which only a constructor keeps (there is no `#constructor`).
    files: ['**/*.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector: "PropertyDefinition[accessibility='private']",
          message:
            'Use a #field for a private member (CONTRIBUTING.md, "Conventions of the code").',
        },
        {
          selector: "TSParameterProperty[accessibility='private']",
          message:
            'Use a #field for a private member (CONTRIBUTING.md, "Conventions of the code").',
        },
        {
          selector: "MethodDefinition[accessibility='private'][kind!='constructor']",
          message:
            'Use a #method for a private member (CONTRIBUTING.md, "Conventions of the code").',
        },
      ],
    },
  },
)

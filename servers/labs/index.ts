/** Hands-on labs: echo, broadcast, chat rooms and a whiteboard, over WebSocket and SSE + POST. */
export { createLabs, LABS_PATH, type CreateLabsOptions, type Labs } from './labs.ts'
export { LAB_DEFAULTS, type LabOptions } from './lab-defaults.ts'
export { LAB_ERRORS, type LabError, type LabErrorCode } from './lab-errors.ts'
export { LAB_NAMES, type LabName } from './lab.ts'
export { LAB_CATALOG, type LabCatalogEntry } from './lab-catalog.ts'

// Types of build.mjs for the TypeScript that imports it (tests, tools).
/** Entry folder → the function src/index.ts exports for it. */
export function entries(source?: string): Record<string, string>
/** Bundles the action into outDir; returns the shared bundle's size in bytes. */
export function build(outDir: string): Promise<number>

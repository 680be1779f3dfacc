declare module 'virtual:manifest-validator' {
  /** schemas/manifest.schema.json, compiled by ajv at build time (vite.config.ts). */
  const validate: (data: unknown) => boolean;
  export default validate;
}

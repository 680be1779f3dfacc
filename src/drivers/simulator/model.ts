/** The pure chip model lives in ./model/ (one file per part of the chip); this path stays for existing importers. */
export * from './model/index.js';

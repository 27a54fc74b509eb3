/// <reference types="vite/client" />

interface ImportMetaEnv {
  /** URL of a MapLibre style JSON to use as the base map (e.g. an in-house tile server). Unset: plain background. */
  readonly VITE_TARTIP_BASEMAP_STYLE?: string;
}

interface ImportMeta {
  readonly env: ImportMetaEnv;
}

/** The URL of Kazakhstan's boundaries as TopoJSON, emitted by `tools/kzBoundaries.ts` with the build. */
declare module 'virtual:kz-boundaries' {
  const url: string;
  export default url;
}

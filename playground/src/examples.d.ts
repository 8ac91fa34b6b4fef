/** The example policies bundled at build time from policies/ (scripts/build-playground.mjs). */
declare module "playground:examples" {
  const examples: { name: string; policy: string; request: string }[];
  export default examples;
}

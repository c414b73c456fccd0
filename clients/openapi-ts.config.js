// make clients: the TypeScript client of docs/openapi.yaml, generated into .generated/ts (not
// committed) with hey-api's fetch client, then compiled with the test by tsc.
export default {
  input: '../docs/openapi.yaml',
  output: { path: '.generated/ts/client', importFileExtension: '.js' },
  plugins: ['@hey-api/client-fetch', '@hey-api/typescript', '@hey-api/sdk'],
};

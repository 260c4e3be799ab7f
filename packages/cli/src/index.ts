export { demoPage } from './demo-page.js';
export { CliError } from './errors.js';
export { loadConfigFile } from './load-config.js';
export { main, serve } from './main.js';
export { createSampleApi, type SampleApiOptions } from './sample-api.js';

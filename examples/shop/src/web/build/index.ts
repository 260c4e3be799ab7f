export {
  type BuildWebOptions,
  buildWeb,
  DEFAULT_ORIGINS,
  remoteInputs,
  remoteNames,
  type ShellManifest,
  type ShopManifest,
  shopManifestPath,
  webRoot,
} from './build-web.js';
export { lockedDependencies } from './locked-dependencies.js';
export {
  listModules,
  type ManifestRoute,
  type RemoteDescription,
  type RemoteManifest,
  relativeImports,
  remoteManifest,
  satisfies,
  sri,
  verifyManifest,
} from './manifest.js';
export {
  defaultShopKeyDir,
  ensureShopSigningKey,
  type ShopSigningKey,
  shopSigningKey,
  signShopManifest,
} from './signing.js';
export {
  federatedRemoteViteConfig,
  packageOf,
  type RemotePackage,
  readRemotePackage,
  remoteViteConfig,
  SHARED_MODULES,
  sharedViteConfig,
  shellViteConfig,
} from './vite-config.js';

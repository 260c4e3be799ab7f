import { federatedRemoteViteConfig } from '@gatehouse/example-shop/web-build';

// `npm run build` in this folder builds this remote alone; `npm start` builds every remote in one process.
export default await federatedRemoteViteConfig(import.meta.dirname);

export { freePort } from './ports.js';
export {
  chromiumPath,
  describeWith,
  postgresUrl,
  redisUrl,
  type Service,
  serviceMissing,
  servicesRequired,
} from './services.js';

export { AddressForm, addressProblems, EMPTY_ADDRESS } from './address.js';
export {
  Breadcrumbs,
  ErrorView,
  PageHeader,
  Price,
  ProductCard,
  ProductGrid,
  Skeleton,
  Stars,
  StateView,
  useAddToCart,
} from './components.js';
export { type ApiData, problemText, useApiData } from './data.js';
export { formatDate, formatMoney, localeOf, plural } from './format.js';
export { ICON_PATHS, Icon, type IconName } from './icons.js';
export { SECOND_FACTOR_LEVEL, STEP_UP_ORDER_MINOR } from './step-up.js';
export type * from './types.js';

export {
  AUTH_ERROR_CODES,
  type AuthErrorCode,
  type ErrorCode,
  PylonError,
  type PylonErrorOptions,
  RBAC_ERROR_CODES,
  type RbacErrorCode,
  toAuthCode,
  toRbacCode,
} from './errors.js';
export { hashEmail, normalizeEmail } from './email.js';

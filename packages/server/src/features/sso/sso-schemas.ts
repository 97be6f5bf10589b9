// The SSO wire schemas live in @pylon/core (wire/sso.ts), shared with the `pylon` CLI; the
// feature's route files import them from here.
export {
  OIDCConnectionView,
  PutOIDCRequest,
  RemoveSSOResponse,
  SSOCallbackQuery,
  SSODiscoverQuery,
  SSODiscoverResponse,
  SSOStartQuery,
} from '@pylon/core/wire';

import type { CaptchaConfig, CaptchaProvider } from '../../config/config.js';

/** What a page needs to show a provider's widget, and what its CSP must then allow. */
export interface CaptchaWidget {
  /** The provider's script, loaded async; it renders into the element with `className`. */
  readonly scriptURL: string;
  readonly className: string;
  readonly siteKey: string;
  /** The form field the widget fills with its token. */
  readonly field: 'cf-turnstile-response' | 'h-captcha-response' | 'g-recaptcha-response';
  /** Sources the page's CSP adds, per directive, from each provider's CSP documentation. */
  readonly csp: { script: string[]; frame: string[]; style?: string[]; connect?: string[] };
}

const HCAPTCHA_SOURCES = ['https://hcaptcha.com', 'https://*.hcaptcha.com'];

const WIDGETS: Record<CaptchaProvider, Omit<CaptchaWidget, 'siteKey'>> = {
  turnstile: {
    scriptURL: 'https://challenges.cloudflare.com/turnstile/v0/api.js',
    className: 'cf-turnstile',
    field: 'cf-turnstile-response',
    csp: { script: ['https://challenges.cloudflare.com'], frame: ['https://challenges.cloudflare.com'] },
  },
  hcaptcha: {
    scriptURL: 'https://js.hcaptcha.com/1/api.js',
    className: 'h-captcha',
    field: 'h-captcha-response',
    csp: {
      script: HCAPTCHA_SOURCES,
      frame: HCAPTCHA_SOURCES,
      style: HCAPTCHA_SOURCES,
      connect: HCAPTCHA_SOURCES,
    },
  },
  recaptcha: {
    scriptURL: 'https://www.google.com/recaptcha/api.js',
    className: 'g-recaptcha',
    field: 'g-recaptcha-response',
    csp: {
      script: ['https://www.google.com/recaptcha/', 'https://www.gstatic.com/recaptcha/'],
      frame: ['https://www.google.com/recaptcha/', 'https://recaptcha.google.com/recaptcha/'],
    },
  },
};

/** The widget for the configured provider, or null when captcha is off. */
export function captchaWidget(captcha: CaptchaConfig | null): CaptchaWidget | null {
  return captcha === null ? null : { ...WIDGETS[captcha.provider], siteKey: captcha.siteKey };
}

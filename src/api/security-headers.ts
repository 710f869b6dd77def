import helmet, { contentSecurityPolicy } from 'helmet';

/**
 * Security headers on every answer (helmet): a Content-Security-Policy that lets a page load
 * nothing from anywhere but this service, no framing, no sniffing, no referrer. Pages of this
 * service (the console) use same-origin script and style files only.
 */
const SELF = ["'self'"];
const directives = {
  'default-src': SELF,
  'base-uri': SELF,
  'connect-src': SELF,
  'font-src': SELF,
  'form-action': SELF,
  'frame-ancestors': ["'none'"],
  'img-src': [...SELF, 'data:'],
  'manifest-src': SELF,
  'object-src': ["'none'"],
  'script-src': SELF,
  'script-src-attr': ["'none'"],
  'style-src': SELF,
  'worker-src': SELF,
};

export function securityHeaders() {
  return helmet({
    contentSecurityPolicy: { useDefaults: false, directives },
    referrerPolicy: { policy: 'no-referrer' },
  });
}

/**
 * Bull Board's page sets inline style attributes and a `<style>` block, and its UI adds
 * styles at run time: the dashboard's policy allows inline styles, nothing else more.
 */
export function dashboardContentSecurityPolicy() {
  return contentSecurityPolicy({
    useDefaults: false,
    directives: { ...directives, 'style-src': [...SELF, "'unsafe-inline'"] },
  });
}

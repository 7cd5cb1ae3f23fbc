// Addresses inside the console: `#/<AccountSid>/<view>/…`, each part escaped
// (a number's `+` included).
export const href = (account, ...path) => "#/" + [account, ...path].map((p) => encodeURIComponent(p)).join("/");

export const go = (account, ...path) => {
  location.hash = href(account, ...path);
};

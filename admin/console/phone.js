// The one piece of libphonenumber-js the console uses, with its smallest
// metadata: its own chunk, loaded after the page (format.js).
export { parsePhoneNumberFromString } from "libphonenumber-js/min";

// Line configs a page needs for display (a message's time zone, its
// notification channels), each read once per account and page load.
import { get, seg, currentAccount } from "./api.js";

const cache = new Map();

/// The line's config, or null when the number is not a line of the account.
export function lineConfig(number) {
  const key = `${currentAccount()} ${number}`;
  if (!cache.has(key)) {
    cache.set(
      key,
      get(`/lines/${seg(number)}`).catch((e) => {
        if (e.status === 404) return null;
        cache.delete(key);
        throw e;
      }),
    );
  }
  return cache.get(key);
}

/// The zone a line's times are shown in: its hours' zone, else none (the browser's).
export async function zoneOf(number) {
  if (!number || !number.startsWith("+")) return null;
  try {
    return (await lineConfig(number))?.hours?.time_zone || null;
  } catch {
    return null;
  }
}

export function forget(number) {
  cache.delete(`${currentAccount()} ${number}`);
}

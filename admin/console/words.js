// What the API's codes mean, in words.

/// Why a call got its outcome (the simulator's and the call log's `reason`).
export const REASONS = {
  address_book: "The caller is in the line's address book, so the call goes through to the owner.",
  forward_list: "The caller is on the line's forward list, so the call goes to the target set there.",
  blocked: "The caller is on this line's block list, so the call is turned away unanswered (and unbilled).",
  account_blocked: "The caller is blocked on every line of the account, so the call is turned away unanswered.",
  graylisted: "The caller has left too many challenges unanswered or keyed too many wrong digits, so the call is turned away.",
  closed: "The line is outside its hours, so the caller goes to voicemail with the closed greeting.",
  withheld: "The caller withheld their number, so the line's policy for withheld numbers applies.",
  attested: "The network fully attested the caller's number (SHAKEN/STIR A), so the challenge is skipped.",
  challenged: "An unknown caller: asked to key a few digits first (robots never do).",
  challenge_passed: "The caller keyed the right digits: their counters are reset and the call goes on.",
  challenge_failed: "The caller keyed wrong digits: one failure is counted and the call ends.",
  challenge_failed_final: "Wrong digits again, at the line's threshold: from now on this caller is turned away.",
  answered: "The call was answered.",
  next_target: "Nobody answered: the next target rings.",
  no_answer: "Nobody answered: the caller goes to voicemail.",
  unknown_line: "No line has this number, so the deployment's fallback answers (set in wrangler.toml).",
};

/// What the caller gets.
export const OUTCOMES = {
  reject: "Rejected: the call is never answered, so it costs nothing.",
  goodbye: "A message, then the call ends.",
  connect: "Put through: the call rings the target.",
  voicemail: "Voicemail: a greeting, then the caller can leave a message.",
  challenge: "A challenge: the caller must key the digits they hear.",
  text: "A text message in answer.",
  relay: "Relayed to the other party.",
};

export const reason = (r) => REASONS[r] || r;
export const outcome = (o) => OUTCOMES[o] || o;

/// Twilio's call statuses, as the call log's filter offers them.
export const STATUSES = ["queued", "initiated", "ringing", "in-progress", "completed", "busy", "no-answer", "failed", "canceled"];

/// SHAKEN/STIR verdicts Twilio sends as `StirVerstat`.
export const VERSTATS = [
  ["", "No verdict"],
  ["TN-Validation-Passed-A", "A: full attestation"],
  ["TN-Validation-Passed-B", "B: partial attestation"],
  ["TN-Validation-Passed-C", "C: gateway attestation"],
  ["TN-Validation-Failed-A", "Failed (A)"],
  ["No-TN-Validation", "No validation"],
];

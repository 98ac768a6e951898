// What the page calls the API's enum values, in the order it lists them.

export const POLICY_STATUS = {
  ACTIVE: "Active",
  APPROVED: "Approved",
  ATTRITED: "Attrited",
  POLICY_DISENROLLMENT: "Disenrolled",
  DECEASED: "Deceased",
  UNKNOWN: "Unknown",
};

// Effectuation: an application against carrier policies; the paying ones first, then what slips,
// then what no report answers yet.
export const RECONCILIATION_STATUS = {
  EFFECTUATED: "Effectuated",
  PENDING: "Pending",
  ENDED: "Ended",
  UNKNOWN: "Unknown",
  AGENT_OF_RECORD_ELSEWHERE: "Agent of record elsewhere",
  NOT_IN_CARRIER_REPORTS: "Not in carrier reports",
  AWAITING_CARRIER: "Awaiting carrier",
  NO_CARRIER_FEED: "No carrier feed",
};

/** The words for an enum value, or the value itself when the page does not know it yet. */
export function said(words, value) {
  return words[value] || value;
}

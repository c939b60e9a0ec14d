/**
 * The exception's fields by one name each, as the form titles them and the CLI's options and Alfred's words say
 * them (TARGET, --protocol, --port PORTS, --scope, --label, --expires): no front-end titles a field by hand.
 */
export const EXCEPTION_FIELD_TITLES = {
  address: "Target",
  protocol: "Protocol",
  port: "Ports",
  scope: "Scope",
  label: "Label",
  expiry: "Expires",
} as const;

import type { LaunchProps } from "@raycast/api";
import { ServerProtocolForm } from "./raycast/views/server-protocol-form";

/** Opened by Enable with the servers to ask about, or by itself for those the routes show now. */
export default function Command(props: LaunchProps) {
  return <ServerProtocolForm launchContext={props.launchContext} />;
}

import { Action, ActionPanel, Alert, Form, Icon, confirmAlert, popToRoot, useNavigation } from "@raycast/api";
import { showFailureToast, useForm } from "@raycast/utils";
import { useEffect, useState } from "react";
import { ACTION_TITLES } from "../../words/actions";
import { OUTCOMES } from "../../words/messages";
import { EXCEPTION_FIELD_TITLES } from "../../words/fields";
import { type HostLookup, systemHostLookup } from "../../policy/policy";
import { announceExceptionChange } from "../stores/exception-changes";
import {
  EXPIRY_CHOICES,
  type ExceptionFormValues,
  KEEP_EXPIRY,
  PROTOCOL_CHOICES,
  checkTargetResolves,
  exceptionFieldValidation,
  exceptionFromForm,
  initialFormValues,
  publicSpaceCapError,
  recognisableNetwork,
  unrecognisableNetworkWarning,
  wideExceptionQuestion,
} from "../../exceptions/exception-fields";
import { type StoredException, loadExceptions, newExceptionId, saveException } from "../stores/exception-store";
import { describeExpiry } from "../models/exception-text";
import { readNetworkOrNull } from "../reading/kill-switch-reading";
import { summarizeNetwork } from "../reading/network-reading";
import { networkName, rememberNetworkName } from "../stores/network-names";
import { type NetworkSummary, readCachedSnapshot } from "../stores/snapshot-cache";

export type ExceptionPrefill = Partial<Pick<ExceptionFormValues, "address" | "protocol" | "port">>;

export interface ExceptionFormProps {
  /** The exception to edit; a new one when absent. */
  exception?: StoredException;
  /** The current network; read from the Mac when absent (the last known one shows meanwhile). */
  network?: NetworkSummary | null;
  /** Names of networks seen before, for exceptions scoped to another network. */
  networkNames?: Record<string, string>;
  /** Called after saving; the form was pushed by a list, which it returns to. */
  onSaved?: () => void;
  resolveHost?: HostLookup;
  /**
   * Where to start a new exception from (Blocked Traffic's "Allow as Exception…"): the address, protocol and
   * port only. Never a label taken from a process's name: a process names itself, so its name proves nothing.
   */
  prefill?: ExceptionPrefill;
}

function describeNetwork(network: NetworkSummary | null): string {
  if (!network) return "Not connected to a network: the exception can only be for all networks.";
  const name = network.label ?? "Unnamed network";
  const parts = [name, network.gateway && `gateway ${network.gateway}`, network.subnet].filter(Boolean);
  return parts.join(" · ");
}

/** Add Exception and Edit Exception: prefilled from the current network, each field checked as it is left. */
export function ExceptionForm(props: ExceptionFormProps) {
  const navigation = useNavigation();
  const [network, setNetwork] = useState<NetworkSummary | null>(
    props.network !== undefined ? props.network : (readCachedSnapshot()?.network ?? null),
  );
  const [isLoading, setIsLoading] = useState(props.network === undefined);
  const existing = props.exception;

  const { handleSubmit, itemProps, setValidationError, setValue, values } = useForm<ExceptionFormValues>({
    initialValues: { ...initialFormValues(network, existing), ...(existing ? {} : props.prefill) },
    validation: exceptionFieldValidation,
    async onSubmit(submitted) {
      const unresolved = await checkTargetResolves(
        submitted.address,
        props.resolveHost ?? systemHostLookup,
        submitted.scope,
      );
      if (unresolved) {
        setValidationError("address", unresolved);
        return false;
      }
      const overCap = publicSpaceCapError(submitted.address, existing?.id, (await loadExceptions()).exceptions);
      if (overCap) {
        setValidationError("address", overCap);
        return false;
      }
      const question = wideExceptionQuestion(submitted.address);
      const wide =
        question !== null &&
        (await confirmAlert({
          title: question.title,
          message: question.message,
          primaryAction: { title: "Allow Wide Exception", style: Alert.ActionStyle.Destructive },
          dismissAction: { title: "Cancel" },
        }));
      if (question && !wide) return false;
      const exception = exceptionFromForm(submitted, {
        id: existing?.id ?? newExceptionId(),
        now: new Date(),
        existing,
        wide,
        network,
      });
      try {
        await saveException(exception);
      } catch (error) {
        // The settings file cannot be read or written: nothing was changed, and the form stays as it is.
        await showFailureToast(error, { title: existing ? "Exception Not Updated" : "Exception Not Added" });
        return false;
      }
      if (network?.id && exception.scope === network.id) {
        await rememberNetworkName(network.id, network.label ?? networkName(network.id, {}));
      }
      const done = existing ? OUTCOMES.exceptionUpdated : OUTCOMES.exceptionAdded;
      await announceExceptionChange(done);
      if (props.onSaved) {
        props.onSaved();
        navigation.pop();
      } else {
        await popToRoot();
      }
      return true;
    },
  });

  useEffect(() => {
    if (props.network !== undefined) return;
    let current = true;
    void readNetworkOrNull().then((state) => {
      if (!current) return;
      const summary = state ? summarizeNetwork(state) : null;
      setNetwork(summary);
      setIsLoading(false);
      // A new exception defaults to this network once it is known, and only when its router's MAC is.
      if (!existing && summary?.id && recognisableNetwork(summary))
        setValue("scope", (scope) => (scope === "all" ? (summary.id ?? "all") : scope));
    });
    return () => {
      current = false;
    };
  }, []);

  const scopeChoices: { value: string; title: string }[] = [];
  const warning = unrecognisableNetworkWarning(network);
  if (network?.id)
    scopeChoices.push({
      value: network.id,
      title: `This Network (${network.label ?? network.subnet ?? network.gateway}${warning ? ", router MAC unknown" : ""})`,
    });
  if (existing && existing.scope !== "all" && existing.scope !== network?.id) {
    scopeChoices.push({
      value: existing.scope,
      title: `Network: ${networkName(existing.scope, props.networkNames ?? {})}`,
    });
  }
  scopeChoices.push({ value: "all", title: "All Networks" });
  const keepExpiry = existing?.expiresAt ? describeExpiry(existing, new Date()) : null;

  return (
    <Form
      isLoading={isLoading}
      navigationTitle={existing ? ACTION_TITLES.editException : ACTION_TITLES.addException}
      actions={
        <ActionPanel>
          <Action.SubmitForm
            title={existing ? ACTION_TITLES.saveException : ACTION_TITLES.addException}
            icon={Icon.Checkmark}
            onSubmit={handleSubmit}
          />
          {network?.gateway && (
            <Action
              title={`Use Gateway ${network.gateway}`}
              icon={Icon.Network}
              onAction={() => setValue("address", network.gateway ?? "")}
            />
          )}
          {network?.subnet && (
            <Action
              title={`Use Whole Subnet ${network.subnet}`}
              icon={Icon.Network}
              onAction={() => setValue("address", network.subnet ?? "")}
            />
          )}
        </ActionPanel>
      }
    >
      <Form.Description title="Network" text={describeNetwork(network)} />
      <Form.TextField
        title={EXCEPTION_FIELD_TITLES.address}
        placeholder={
          network?.subnet
            ? `A device (192.168.1.20), ${network.subnet} or printer.example.com`
            : "192.168.1.20, 10.0.0.0/24 or nas.example.com"
        }
        info="An IP address, a CIDR network or a host name. A host name is looked up when you save: once the kill switch is on, names can only be resolved through the VPN."
        {...itemProps.address}
      />
      <Form.Dropdown title={EXCEPTION_FIELD_TITLES.protocol} {...itemProps.protocol}>
        {PROTOCOL_CHOICES.map((choice) => (
          <Form.Dropdown.Item key={choice.value} value={choice.value} title={choice.title} />
        ))}
      </Form.Dropdown>
      <Form.TextField
        title={EXCEPTION_FIELD_TITLES.port}
        placeholder="All ports, or 631, 80,443, 8000-8080"
        {...itemProps.port}
      />
      <Form.Dropdown title={EXCEPTION_FIELD_TITLES.scope} {...itemProps.scope}>
        {scopeChoices.map((choice) => (
          <Form.Dropdown.Item key={choice.value} value={choice.value} title={choice.title} />
        ))}
      </Form.Dropdown>
      {warning && <Form.Description title="Warning" text={warning} />}
      <Form.TextField title={EXCEPTION_FIELD_TITLES.label} placeholder="Printer" {...itemProps.label} />
      <Form.Dropdown title={EXCEPTION_FIELD_TITLES.expiry} {...itemProps.expiry}>
        {keepExpiry && <Form.Dropdown.Item value={KEEP_EXPIRY} title={`Keep (${keepExpiry})`} />}
        {EXPIRY_CHOICES.map((choice) => (
          <Form.Dropdown.Item key={choice.value} value={choice.value} title={choice.title} />
        ))}
      </Form.Dropdown>
      <Form.Description
        title="Applies"
        text={
          values.scope === "all"
            ? "On every network, whenever the kill switch is on."
            : "Only on this network (recognised by its router's address and MAC, its subnet and its Wi-Fi security, even without the Wi-Fi name), on its own link, to private and link-local addresses."
        }
      />
    </Form>
  );
}

/**
 * In-memory stand-in for `@raycast/api` (which ships types only). Components render as host elements named
 * after the Raycast component (`MenuBarExtra.Item`, `Form.TextField`) carrying their props, so tests can assert
 * what a user would see; feedback functions record their calls in `raycast`.
 */
import { createElement, type ReactNode } from "react";
import { temporaryDirectory } from "../temporary-directory";

export enum LaunchType {
  UserInitiated = "userInitiated",
  Background = "background",
}

export interface ToastRecord {
  style: string;
  title: string;
  message?: string;
}

export interface AlertRecord {
  title: string;
  message?: string;
  primaryAction?: { title: string; style?: string };
  dismissAction?: { title: string; style?: string };
}

/** What the commands did, and how the next alert is answered. */
export const raycast = {
  huds: [] as string[],
  toasts: [] as ToastRecord[],
  failureToasts: [] as { error: unknown; title?: string; message?: string }[],
  alerts: [] as AlertRecord[],
  launches: [] as { name: string; type: LaunchType; context?: unknown }[],
  launchError: null as Error | null,
  alertAnswer: true,
  preferences: {} as Record<string, unknown>,
  openedPreferences: 0,
  navigation: [] as ("push" | "pop" | "popToRoot")[],
  metadata: [] as { subtitle?: string | null }[],
};

export const environment = {
  raycastVersion: "1.104.0",
  ownerOrAuthorName: "vpn-kill-switch",
  extensionName: "vpn-kill-switch",
  commandName: "test",
  commandMode: "view" as "view" | "no-view" | "menu-bar",
  assetsPath: "/assets",
  supportPath: "/support",
  isDevelopment: true,
  appearance: "light" as const,
  textSize: "medium" as const,
  launchType: LaunchType.UserInitiated,
  theme: "light" as const,
  canAccess: () => true,
};

const cacheStores = new Map<string, Map<string, string>>();
const localStorage = new Map<string, string>();

/**
 * Forgets every recorded call and stored value; call in `beforeEach`. The user's settings file starts afresh too:
 * HOME is a new empty folder.
 */
export function resetRaycast(): void {
  process.env.HOME = temporaryDirectory("raycast-home-");
  raycast.huds = [];
  raycast.toasts = [];
  raycast.failureToasts = [];
  raycast.alerts = [];
  raycast.launches = [];
  raycast.launchError = null;
  raycast.alertAnswer = true;
  raycast.preferences = {};
  raycast.openedPreferences = 0;
  raycast.navigation = [];
  raycast.metadata = [];
  environment.launchType = LaunchType.UserInitiated;
  // Cache instances made at import time keep their store: empty the stores rather than forget them.
  for (const store of cacheStores.values()) store.clear();
  localStorage.clear();
}

export class Cache {
  private readonly store: Map<string, string>;
  constructor(options: { namespace?: string } = {}) {
    const name = options.namespace ?? "";
    const existing = cacheStores.get(name) ?? new Map<string, string>();
    cacheStores.set(name, existing);
    this.store = existing;
  }
  get(key: string): string | undefined {
    return this.store.get(key);
  }
  has(key: string): boolean {
    return this.store.has(key);
  }
  get isEmpty(): boolean {
    return this.store.size === 0;
  }
  set(key: string, data: string): void {
    this.store.set(key, data);
  }
  remove(key: string): boolean {
    return this.store.delete(key);
  }
  clear(): void {
    this.store.clear();
  }
  subscribe(): () => void {
    return () => undefined;
  }
}

export const LocalStorage = {
  async getItem<T = string | number | boolean>(key: string): Promise<T | undefined> {
    return localStorage.get(key) as T | undefined;
  },
  async setItem(key: string, value: string | number | boolean): Promise<void> {
    localStorage.set(key, String(value));
  },
  async removeItem(key: string): Promise<void> {
    localStorage.delete(key);
  },
  async allItems(): Promise<Record<string, string>> {
    return Object.fromEntries(localStorage);
  },
  async clear(): Promise<void> {
    localStorage.clear();
  },
};

export class Toast {
  static Style = { Success: "SUCCESS", Failure: "FAILURE", Animated: "ANIMATED" } as const;
  style: string;
  title: string;
  message?: string;
  constructor(options: ToastRecord) {
    this.style = options.style;
    this.title = options.title;
    this.message = options.message;
  }
  async show(): Promise<void> {}
  /** A hidden toast is no longer on screen: it leaves the record. */
  async hide(): Promise<void> {
    const index = raycast.toasts.findIndex((toast) => toast.title === this.title && toast.style === this.style);
    if (index !== -1) raycast.toasts.splice(index, 1);
  }
}

export async function showToast(options: ToastRecord | string, title?: string, message?: string): Promise<Toast> {
  const record = typeof options === "string" ? { style: options, title: title ?? "", message } : options;
  raycast.toasts.push({ style: record.style, title: record.title, message: record.message });
  return new Toast(record);
}

export async function showHUD(title: string): Promise<void> {
  raycast.huds.push(title);
}

export const Alert = { ActionStyle: { Default: "default", Cancel: "cancel", Destructive: "destructive" } } as const;

export async function confirmAlert(options: AlertRecord): Promise<boolean> {
  raycast.alerts.push({
    title: options.title,
    message: options.message,
    primaryAction: options.primaryAction,
    ...(options.dismissAction ? { dismissAction: options.dismissAction } : {}),
  });
  return raycast.alertAnswer;
}

export async function launchCommand(options: { name: string; type: LaunchType; context?: unknown }): Promise<void> {
  if (raycast.launchError) throw raycast.launchError;
  raycast.launches.push({ name: options.name, type: options.type, context: options.context });
}

export function getPreferenceValues<T>(): T {
  return { ...raycast.preferences } as T;
}

export async function openExtensionPreferences(): Promise<void> {
  raycast.openedPreferences += 1;
}

export async function openCommandPreferences(): Promise<void> {
  raycast.openedPreferences += 1;
}

export async function updateCommandMetadata(metadata: { subtitle?: string | null }): Promise<void> {
  raycast.metadata.push(metadata);
}

export async function popToRoot(): Promise<void> {
  raycast.navigation.push("popToRoot");
}
export async function closeMainWindow(): Promise<void> {}

export function useNavigation() {
  return {
    push: () => raycast.navigation.push("push"),
    pop: () => raycast.navigation.push("pop"),
  };
}

/** `Icon.Lock` is the string "Lock": enough to assert which icon a row shows. */
export const Icon = new Proxy({} as Record<string, string>, { get: (_target, name) => String(name) });

export const Color = {
  Green: "green",
  Red: "red",
  Orange: "orange",
  Yellow: "yellow",
  Blue: "blue",
  Purple: "purple",
  Magenta: "magenta",
  PrimaryText: "primary-text",
  SecondaryText: "secondary-text",
} as const;

export const Keyboard = {
  Shortcut: {
    Common: new Proxy({} as Record<string, string>, { get: (_target, name) => `common:${String(name)}` }),
  },
};

export const Image = { Mask: { Circle: "circle", RoundedRectangle: "roundedRectangle" } } as const;

type Props = Record<string, unknown> & { children?: ReactNode; actions?: ReactNode };

/**
 * A component that renders as a host element named `name`, so its props are visible in the test tree. Its
 * action panel is rendered inside it (Raycast shows it on ⌘K), so tests can find and press the actions.
 */
function host(name: string) {
  const component = ({ children, actions, ...props }: Props) => createElement(name, props, children, actions);
  component.displayName = name;
  return component;
}

export const MenuBarExtra = Object.assign(host("MenuBarExtra"), {
  Item: host("MenuBarExtra.Item"),
  Section: host("MenuBarExtra.Section"),
  Separator: host("MenuBarExtra.Separator"),
  Submenu: host("MenuBarExtra.Submenu"),
});

export const ActionPanel = Object.assign(host("ActionPanel"), {
  Section: host("ActionPanel.Section"),
  Submenu: host("ActionPanel.Submenu"),
});

export const Action = Object.assign(host("Action"), {
  Style: { Regular: "regular", Destructive: "destructive" },
  SubmitForm: host("Action.SubmitForm"),
  Push: host("Action.Push"),
  OpenInBrowser: host("Action.OpenInBrowser"),
  CopyToClipboard: host("Action.CopyToClipboard"),
});

/** A detail that renders its metadata panel inside it, so tests can read the labels. */
function detailHost(name: string) {
  const component = ({ children, metadata, ...props }: Props & { metadata?: ReactNode }) =>
    createElement(name, props, children, metadata);
  component.displayName = name;
  return component;
}

export const List = Object.assign(host("List"), {
  Item: Object.assign(host("List.Item"), {
    Detail: Object.assign(detailHost("List.Item.Detail"), {
      Metadata: Object.assign(host("List.Item.Detail.Metadata"), {
        Label: host("List.Item.Detail.Metadata.Label"),
        Separator: host("List.Item.Detail.Metadata.Separator"),
        TagList: Object.assign(host("List.Item.Detail.Metadata.TagList"), {
          Item: host("List.Item.Detail.Metadata.TagList.Item"),
        }),
      }),
    }),
  }),
  Section: host("List.Section"),
  EmptyView: host("List.EmptyView"),
});

export const Form = Object.assign(host("Form"), {
  TextField: host("Form.TextField"),
  TextArea: host("Form.TextArea"),
  Checkbox: host("Form.Checkbox"),
  Description: host("Form.Description"),
  Separator: host("Form.Separator"),
  Dropdown: Object.assign(host("Form.Dropdown"), {
    Item: host("Form.Dropdown.Item"),
    Section: host("Form.Dropdown.Section"),
  }),
});

export const Detail = host("Detail");

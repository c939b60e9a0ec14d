/** Renders Raycast components with react-test-renderer and reads back what a user would see. */
import type { ReactElement } from "react";
import { type ReactTestInstance, type ReactTestRenderer, act, create } from "react-test-renderer";

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

// react-test-renderer 19 still works; its deprecation notice on every render is noise in the test output.
const consoleError = console.error;
console.error = (...args: unknown[]) => {
  if (typeof args[0] === "string" && args[0].startsWith("react-test-renderer is deprecated")) return;
  consoleError(...args);
};

/** Lets pending promises (storage, status reads) finish and React apply their updates. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) {
    await act(async () => {
      await new Promise((resolve) => setTimeout(resolve, 0));
    });
  }
}

export async function render(element: ReactElement): Promise<ReactTestRenderer> {
  let renderer: ReactTestRenderer | undefined;
  await act(async () => {
    renderer = create(element);
  });
  await settle();
  if (!renderer) throw new Error("nothing rendered");
  return renderer;
}

/** Host elements of one kind (`MenuBarExtra.Item`, `Form.TextField`...). */
export function all(renderer: ReactTestRenderer, type: string): ReactTestInstance[] {
  return renderer.root.findAll((node) => node.type === type);
}

export function one(renderer: ReactTestRenderer, type: string): ReactTestInstance {
  const found = all(renderer, type);
  if (found.length !== 1) throw new Error(`expected one ${type}, found ${found.length}`);
  return found[0];
}

/** The item with this title; fails when there is none. */
export function item(renderer: ReactTestRenderer, type: string, title: string): ReactTestInstance {
  const found = all(renderer, type).find((node) => node.props.title === title);
  if (!found) {
    const titles = all(renderer, type).map((node) => node.props.title);
    throw new Error(`no ${type} titled ${JSON.stringify(title)}; found ${JSON.stringify(titles)}`);
  }
  return found;
}

export function titles(renderer: ReactTestRenderer, type: string): string[] {
  return all(renderer, type).map((node) => String(node.props.title));
}

/** Section title -> the titles (with subtitles) of its items, as the menu shows them. */
export function sections(renderer: ReactTestRenderer, sectionType: string, itemType: string): Record<string, string[]> {
  const result: Record<string, string[]> = {};
  all(renderer, sectionType).forEach((section, index) => {
    const key = section.props.title ?? `#${index}`;
    result[key] = section
      .findAll((node) => node.type === itemType)
      .map((node) => (node.props.subtitle ? `${node.props.title} ${node.props.subtitle}` : node.props.title));
  });
  return result;
}

/** Clicks an item (or action) and waits for what it started. */
export async function click(node: ReactTestInstance): Promise<void> {
  await act(async () => {
    await node.props.onAction?.({ type: "left-click" });
  });
  await settle();
}

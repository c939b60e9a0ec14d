/**
 * In-memory stand-in for `@raycast/utils`: `showFailureToast` is recorded, `useForm` keeps values and errors in
 * React state and validates on blur and on submit, as the real hook documents.
 */
import { useCallback, useMemo, useRef, useState } from "react";
import { raycast } from "./raycast-api";

export async function showFailureToast(error: unknown, options: { title?: string; message?: string } = {}) {
  raycast.failureToasts.push({ error, title: options.title, message: options.message });
  const message = options.message ?? (error instanceof Error ? error.message : String(error));
  raycast.toasts.push({ style: "FAILURE", title: options.title ?? "Something went wrong", message });
  return { hide: async () => undefined };
}

export enum FormValidation {
  Required = "required",
}

type Values = Record<string, unknown>;
type Validator = ((value: unknown) => string | undefined | null) | FormValidation;

function runValidator(validator: Validator | undefined, value: unknown): string | undefined {
  if (validator === undefined) return undefined;
  if (validator === FormValidation.Required) {
    const empty = value === undefined || value === null || value === "" || (Array.isArray(value) && value.length === 0);
    return empty ? "The item is required" : undefined;
  }
  return validator(value) ?? undefined;
}

export function useForm<T extends Values>(props: {
  onSubmit: (values: T) => void | boolean | Promise<void | boolean>;
  initialValues?: Partial<T>;
  validation?: { [K in keyof T]?: Validator };
}) {
  const [values, setValues] = useState<Values>({ ...(props.initialValues ?? {}) });
  const [errors, setErrors] = useState<Record<string, string | undefined>>({});
  const latest = useRef(props);
  latest.current = props;

  const setValidationError = useCallback((id: keyof T, error: string | undefined | null) => {
    setErrors((current) => ({ ...current, [id as string]: error ?? undefined }));
  }, []);

  const setValue = useCallback((id: keyof T, value: unknown) => {
    setValues((current) => ({
      ...current,
      [id as string]: typeof value === "function" ? (value as (v: unknown) => unknown)(current[id as string]) : value,
    }));
  }, []);

  const handleSubmit = useCallback(async (submitted: T) => {
    const validation = latest.current.validation ?? {};
    const found: Record<string, string | undefined> = {};
    for (const [id, validator] of Object.entries(validation)) {
      found[id] = runValidator(validator as Validator, submitted[id]);
    }
    setErrors(found);
    if (Object.values(found).some((error) => error !== undefined)) return false;
    return latest.current.onSubmit(submitted);
  }, []);

  const itemProps = useMemo(
    () =>
      new Proxy({} as Record<string, unknown>, {
        get: (_target, name) => {
          const id = String(name);
          return {
            id,
            value: values[id],
            error: errors[id],
            onChange: (value: unknown) => {
              setValues((current) => ({ ...current, [id]: value }));
              setErrors((current) => ({ ...current, [id]: undefined }));
            },
            onBlur: (event: { target: { value?: unknown } }) => {
              const validation = (latest.current.validation ?? {}) as Record<string, Validator | undefined>;
              const validator = validation[id];
              setErrors((current) => ({ ...current, [id]: runValidator(validator, event.target.value) }));
            },
          };
        },
      }),
    [values, errors],
  );

  return {
    handleSubmit,
    itemProps,
    setValidationError,
    setValue,
    values: values as T,
    focus: () => undefined,
    reset: (initial?: Partial<T>) => setValues({ ...(initial ?? props.initialValues ?? {}) }),
  };
}

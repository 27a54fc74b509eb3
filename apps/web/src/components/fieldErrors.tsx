/**
 * A form's per-field errors (keyed by field name): the message under a field, tied to it for screen readers, and the
 * attributes that mark the field itself invalid. `prefix` keeps the ids unique when two forms share a page.
 */
export function fieldErrors(errors: Readonly<Record<string, string>>, prefix: string) {
  const id = (name: string) => `${prefix}-${name}-error`;
  return {
    err: (name: string) =>
      errors[name] ? (
        <p className="field-error" id={id(name)} role="alert">
          {errors[name]}
        </p>
      ) : null,
    invalid: (name: string) => (errors[name] ? { 'aria-invalid': true as const, 'aria-describedby': id(name) } : {}),
  };
}

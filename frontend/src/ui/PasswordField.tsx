import { useId, useState, type ComponentProps } from 'react';
import { TextField } from './TextField.js';

type PasswordFieldProps = Omit<ComponentProps<typeof TextField>, 'type' | 'addon'>;

/**
 * A password input with a toggle that shows what was typed (ASVS 2.1.12). The
 * toggle is a real button with aria-pressed; its name comes from its text, so
 * the input keeps the field's label as its only label. Paste and password
 * managers work as on any input: nothing here intercepts them.
 */
export function PasswordField({ id, label, ...rest }: PasswordFieldProps) {
  const generated = useId();
  const inputId = id ?? generated;
  const [isShown, setIsShown] = useState(false);
  return (
    <TextField
      {...rest}
      id={inputId}
      label={label}
      type={isShown ? 'text' : 'password'}
      spellCheck={false}
      autoCapitalize="off"
      addon={
        <button type="button" className="reveal-toggle" aria-pressed={isShown} aria-controls={inputId} onClick={() => setIsShown((shown) => !shown)}>
          Show<span className="visually-hidden"> {label.toLowerCase()}</span>
        </button>
      }
    />
  );
}

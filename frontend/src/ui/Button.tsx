import type { ComponentProps } from 'react';

interface ButtonProps extends ComponentProps<'button'> {
  isBusy?: boolean;
  variant?: 'primary' | 'secondary' | 'danger';
}

/** A button that says when it is working and cannot be pressed twice meanwhile. */
export function Button({ isBusy = false, variant = 'primary', children, disabled, className, ...rest }: ButtonProps) {
  return (
    <button {...rest} className={`button button-${variant} ${className ?? ''}`} disabled={disabled || isBusy} aria-busy={isBusy}>
      {isBusy ? <span className="spinner" aria-hidden="true" /> : null}
      {children}
    </button>
  );
}

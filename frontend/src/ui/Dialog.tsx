/**
 * A modal dialog on the native <dialog> element: showModal() puts it in the
 * top layer and makes the rest of the page inert, Escape closes it (its
 * 'cancel' event), and it is named for assistive technology. Tab and
 * Shift+Tab wrap inside it (Chromium would otherwise hand focus to the
 * browser's own controls past the last field), and when it goes, focus goes
 * back to what opened it.
 */
import { useLayoutEffect, useRef, type KeyboardEvent, type ReactNode } from 'react';

interface DialogProps {
  /** The accessible name (the dialog's purpose, e.g. "Share with a doctor"). */
  label: string;
  onClose(): void;
  className?: string;
  /**
   * Where focus goes when the dialog closes if nothing had focus when it opened (a button that
   * disables itself while it works, such as a record's Open, has lost focus by then).
   */
  returnFocusTo?: HTMLElement | null;
  children: ReactNode;
}

const FOCUSABLE = 'a[href], button:not([disabled]), input:not([disabled]), select:not([disabled]), textarea:not([disabled]), iframe, [tabindex]:not([tabindex="-1"])';

export function Dialog({ label, onClose, className, returnFocusTo = null, children }: DialogProps) {
  const dialog = useRef<HTMLDialogElement>(null);
  const fallback = useRef(returnFocusTo);
  // A layout effect runs before the children's effects, so a child that focuses its own first field does so inside the open dialog.
  useLayoutEffect(() => {
    const element = dialog.current;
    const focused = document.activeElement instanceof HTMLElement && document.activeElement !== document.body ? document.activeElement : null;
    const opener = focused ?? fallback.current;
    element?.showModal();
    return () => {
      // Still modal here, the page behind is inert and refuses focus: close first.
      if (element?.open) element.close();
      if (opener?.isConnected) opener.focus();
    };
  }, []);

  const wrapFocus = (event: KeyboardEvent<HTMLDialogElement>) => {
    if (event.key !== 'Tab' || !dialog.current) return;
    const focusable = [...dialog.current.querySelectorAll<HTMLElement>(FOCUSABLE)].filter((element) => element.getClientRects().length > 0);
    const first = focusable.at(0);
    const last = focusable.at(-1);
    if (!first || !last) return;
    if (event.shiftKey && document.activeElement === first) {
      event.preventDefault();
      last.focus();
    } else if (!event.shiftKey && document.activeElement === last) {
      event.preventDefault();
      first.focus();
    }
  };

  return (
    <dialog
      ref={dialog}
      className={className ? `dialog ${className}` : 'dialog'}
      aria-label={label}
      aria-modal="true"
      onKeyDown={wrapFocus}
      onCancel={(event) => {
        // Escape: the page decides when the dialog goes (it unmounts it), so the native close is left out.
        event.preventDefault();
        onClose();
      }}
    >
      {children}
    </dialog>
  );
}

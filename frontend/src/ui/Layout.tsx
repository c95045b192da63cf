import { useEffect, useRef, useState, type ReactNode } from 'react';
import { Link, NavigationType, useLocation, useNavigationType } from 'react-router-dom';
import { OfflineBanner } from './OfflineBanner.js';

export function Layout({ nav, children }: { nav?: ReactNode; children: ReactNode }) {
  const [isMenuOpen, setMenuOpen] = useState(false);
  const menuButton = useRef<HTMLButtonElement>(null);
  const { pathname, key } = useLocation();
  // Any navigation closes the menu, a link to the page already shown included (a new location key, the same path).
  useEffect(() => setMenuOpen(false), [key]);
  useFocusHeadingOnNavigation(pathname);
  return (
    <>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="app-header">
        <Link to="/" className="brand">
          Health Records
        </Link>
        {nav ? (
          <button type="button" ref={menuButton} className="menu-button" aria-expanded={isMenuOpen} aria-controls="main-nav" onClick={() => setMenuOpen(!isMenuOpen)}>
            Menu
          </button>
        ) : null}
        <nav
          id="main-nav"
          aria-label="Main"
          className={isMenuOpen ? 'main-nav is-open' : 'main-nav'}
          onClick={(event) => {
            // Whatever the menu's link or button does (a page, Lock, Sign out), the menu has done its part.
            if (event.target instanceof Element && event.target.closest('a, button')) setMenuOpen(false);
          }}
          onKeyDown={(event) => {
            // Escape closes an open menu and hands focus back to its button.
            if (event.key !== 'Escape' || !isMenuOpen) return;
            setMenuOpen(false);
            menuButton.current?.focus();
          }}
        >
          {nav}
        </nav>
      </header>
      <main id="main" className="app-main" tabIndex={-1}>
        <OfflineBanner />
        {children}
      </main>
    </>
  );
}

/**
 * After a route change, focus goes to the new page's heading, as a screen
 * reader user expects of a page load; the main region takes it when a page has
 * no h1. Not on the first load, nor on the redirects it makes (`<Navigate
 * replace>` from "/" to the sign-in page): there the browser's focus stands.
 */
function useFocusHeadingOnNavigation(pathname: string) {
  const navigationType = useNavigationType();
  const isMounted = useRef(false);
  const hasNavigated = useRef(false);
  useEffect(() => {
    if (!isMounted.current) {
      isMounted.current = true;
      return;
    }
    if (navigationType !== NavigationType.Replace) hasNavigated.current = true;
    if (!hasNavigated.current) return;
    const main = document.getElementById('main');
    const heading = main?.querySelector<HTMLElement>('h1');
    if (heading && !heading.hasAttribute('tabindex')) heading.tabIndex = -1;
    (heading ?? main)?.focus({ preventScroll: false });
  }, [pathname, navigationType]);
}

export function Card({ title, children }: { title: string; children: ReactNode }) {
  return (
    <section className="card" aria-labelledby={`${title.replace(/\W+/g, '-')}-title`}>
      <h1 id={`${title.replace(/\W+/g, '-')}-title`} tabIndex={-1}>
        {title}
      </h1>
      {children}
    </section>
  );
}

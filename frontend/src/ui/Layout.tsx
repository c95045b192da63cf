import type { ReactNode } from 'react';
import { Link } from 'react-router-dom';

export function Layout({ nav, children }: { nav?: ReactNode; children: ReactNode }) {
  return (
    <>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="app-header">
        <Link to="/" className="brand">
          Health Records
        </Link>
        <nav aria-label="Main">{nav}</nav>
      </header>
      <main id="main" className="app-main">
        {children}
      </main>
    </>
  );
}

export function Card({ title, children }: { title: string; children: ReactNode }) {
  return (
    <section className="card" aria-labelledby={`${title.replace(/\W+/g, '-')}-title`}>
      <h1 id={`${title.replace(/\W+/g, '-')}-title`}>{title}</h1>
      {children}
    </section>
  );
}

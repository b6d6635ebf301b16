'use client';

import { useEffect, useState } from 'react';

/** Writes each image's chosen URL and decoded size once all have loaded, for the browser test. */
export default function Report() {
  const [text, setText] = useState('');
  useEffect(() => {
    const images = [...document.querySelectorAll('main img')];
    const settled = (img) => (img.complete ? Promise.resolve() : new Promise((done) => { img.onload = done; img.onerror = done; }));
    Promise.all(images.map(settled)).then(() =>
      setText(JSON.stringify(images.map((img) => ({ src: img.currentSrc, decoded: img.naturalWidth > 0, width: img.naturalWidth, height: img.naturalHeight })))),
    );
  }, []);
  return <pre id="report">{text}</pre>;
}

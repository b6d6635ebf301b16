import Image from 'next/image';

import Report from './report';

// next/image asks the imgfront loader for each width of its srcset; the loader snaps every one
// to a breakpoint, so no candidate is a second cache object.
const images = [
  { src: '/demo/harbour.jpg', width: 2000, height: 1333 },
  { src: '/demo/badge.png', width: 1200, height: 1200 },
  { src: '/demo/sunset.svg', width: 1600, height: 1000 },
];

export default function Page() {
  return (
    <main>
      <h1>next/image through @imgfront/client</h1>
      {images.map((img) => (
        <Image key={img.src} src={img.src} alt={img.src} width={img.width} height={img.height} sizes="400px" quality={75} loading="eager" style={{ width: 400, height: 'auto' }} />
      ))}
      <Report />
    </main>
  );
}

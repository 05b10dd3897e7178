// Debian's Chromium driven by playwright-core, for the browser tests and the
// browser benchmark. Flags: headless, no sandbox (CI runs as root), and no
// background traffic (this machine reaches nothing but the package mirrors).
// With `llvmpipe`, WebGL renders on Mesa's llvmpipe through ANGLE's GL/EGL
// backend, the renderer headless-gl uses in Node; without it Chromium picks
// SwiftShader, 5 to 7 times slower (../shared/gpujs-notes.md). Chromium
// blocklists llvmpipe: without --ignore-gpu-blocklist those flags give no WebGL.

import { existsSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';

/** Where Debian installs Chromium (apt-get install chromium). */
export const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';

/** The flags every run uses. */
export const CHROMIUM_FLAGS = ['--headless', '--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-quic'];
/** ANGLE on EGL: Mesa's llvmpipe instead of SwiftShader. */
export const LLVMPIPE_FLAGS = ['--use-gl=angle', '--use-angle=gl-egl', '--ignore-gpu-blocklist'];

/** Launches Chromium, or throws saying how to install it. */
export async function launchChromium(o: { llvmpipe: boolean }): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: apt-get install chromium (or set CHROMIUM)`);
  return chromium.launch({ executablePath: CHROMIUM, args: [...CHROMIUM_FLAGS, ...(o.llvmpipe ? LLVMPIPE_FLAGS : [])] });
}

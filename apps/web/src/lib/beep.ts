let ctx: AudioContext | null = null;

function audio(): AudioContext | null {
  try {
    ctx ??= new AudioContext();
    if (ctx.state === 'suspended') void ctx.resume();
    return ctx;
  } catch {
    return null;
  }
}

/**
 * Browsers start audio only after a user gesture: create (or resume) the context on the first click or key,
 * so that a later alarm raised by a live event can sound.
 */
export function unlockAudioOnGesture(): () => void {
  const unlock = () => {
    audio();
    if (ctx?.state === 'running') remove();
  };
  const remove = () => {
    window.removeEventListener('pointerdown', unlock);
    window.removeEventListener('keydown', unlock);
  };
  window.addEventListener('pointerdown', unlock);
  window.addEventListener('keydown', unlock);
  return remove;
}

/** An alarm: `count` short square-wave beeps alternating 880 / 660 Hz (WebAudio, no sound file). */
export function beep(count = 3): boolean {
  const a = audio();
  if (!a) return false;
  const t0 = a.currentTime + 0.02;
  for (let i = 0; i < count; i++) {
    const osc = a.createOscillator();
    const gain = a.createGain();
    osc.type = 'square';
    osc.frequency.value = i % 2 === 0 ? 880 : 660;
    const start = t0 + i * 0.3;
    gain.gain.setValueAtTime(0.0001, start);
    gain.gain.exponentialRampToValueAtTime(0.25, start + 0.02);
    gain.gain.exponentialRampToValueAtTime(0.0001, start + 0.22);
    osc.connect(gain).connect(a.destination);
    osc.start(start);
    osc.stop(start + 0.25);
  }
  return true;
}

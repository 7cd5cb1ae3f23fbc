// A prompt of a line (a greeting): text to speak, or an audio URL to play.
import { html, Field, val } from "../ui.js";

/// Something said to the caller: text to speak, or an audio URL to play.
export function Prompt({ label, name, error, value, onChange }) {
  const p = value || {};
  const kind = p.play !== undefined && p.say === undefined ? "play" : "say";
  const text = kind === "play" ? p.play : p.say;
  const setKind = (k) => {
    const next = { ...p };
    delete next.say;
    delete next.play;
    next[k] = text || "";
    onChange(next);
  };
  return html`<${Field} label=${label} name=${name} error=${error} wide>
    <span class="pair">
      <select aria-label=${`${label}: say or play`} value=${kind} onChange=${val(setKind)}>
        <option value="say">Say</option><option value="play">Play audio</option>
      </select>
      <input value=${text || ""} placeholder=${kind === "play" ? "https://…/greeting.mp3" : "Text to speak"}
        onInput=${val((v) => onChange({ ...p, [kind]: v }))} />
    </span>
  </${Field}>`;
}


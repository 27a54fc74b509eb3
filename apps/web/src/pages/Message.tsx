export function Message({ text }: { text: string }) {
  return (
    <div className="page">
      <p className="message">{text}</p>
    </div>
  );
}

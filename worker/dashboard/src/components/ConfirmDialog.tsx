import { useEffect, useRef } from 'preact/hooks';

/** A modal confirmation (native `<dialog>`), open while `open` is true. */
export function ConfirmDialog({
  open,
  title,
  message,
  confirmLabel,
  onConfirm,
  onCancel,
}: {
  open: boolean;
  title: string;
  message: string;
  confirmLabel: string;
  onConfirm: () => void;
  onCancel: () => void;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const d = ref.current;
    if (!d) return;
    if (open && !d.open) d.showModal();
    if (!open && d.open) d.close();
  }, [open]);
  return (
    <dialog ref={ref} onCancel={onCancel} data-testid="confirm-dialog">
      <h2>{title}</h2>
      <p>{message}</p>
      <div class="actions">
        <button type="button" class="danger" onClick={onConfirm} data-testid="confirm">
          {confirmLabel}
        </button>
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </dialog>
  );
}

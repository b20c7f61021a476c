/**
 * "Report a bug" and "Get in touch": two small forms for the operator, opened from the footer of
 * the marketing and docs pages (never a room page, whose URL holds the room key). What was typed
 * stays in the form after any failure, and a success stays on screen until it is dismissed.
 */
import { useState } from 'react';
import { LIMITS } from '@protocol/limits.js';
import { REPORT_SEVERITIES, type ReportSeverity } from '@protocol/schemas/report.js';
import { Dialog } from '../components/Dialog.js';
import { sendContact, sendReport, type SupportResult } from './api.js';

type Props = { open: boolean; onClose: () => void };

function useSubmit() {
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<SupportResult | null>(null);
  const run = async (e: React.FormEvent, send: () => Promise<SupportResult>) => {
    e.preventDefault();
    setBusy(true);
    setResult(await send());
    setBusy(false);
  };
  const error = result && !result.ok ? result : null;
  return { busy, sentId: result?.ok ? result.id : null, error, run, clear: () => setResult(null) };
}

function Sent(props: { text: string; onClose: () => void }) {
  return (
    <>
      <p className="ok-line" role="status">
        ✓ {props.text}
      </p>
      <div className="row-end">
        <button type="button" className="btn btn-primary" data-autofocus onClick={props.onClose}>
          Done
        </button>
      </div>
    </>
  );
}

/** The form's error line (which its fields point to with aria-describedby), then its buttons. */
function FormEnd(props: {
  errorId: string;
  error: string | undefined;
  busy: boolean;
  submit: string;
  onCancel: () => void;
}) {
  return (
    <>
      <p id={props.errorId} className="field-error" role="alert">
        {props.error}
      </p>
      <div className="row-end">
        <button type="button" className="btn" onClick={props.onCancel}>
          Cancel
        </button>
        <button type="submit" className="btn btn-primary" disabled={props.busy}>
          {props.busy ? 'Sending…' : props.submit}
        </button>
      </div>
    </>
  );
}

const KEY_WARNING = 'Never paste a room link or key here: anyone who has the link can read the room.';

export function ReportDialog(props: Props) {
  const [what, setWhat] = useState('');
  const [severity, setSeverity] = useState<ReportSeverity>('medium');
  const [where, setWhere] = useState('');
  const [contact, setContact] = useState('');
  const s = useSubmit();
  const close = () => {
    if (s.sentId) {
      setWhat('');
      setWhere('');
      setContact('');
      setSeverity('medium');
      s.clear();
    }
    props.onClose();
  };
  return (
    <Dialog open={props.open} onClose={close} title="Found something off?" className="support-dialog">
      {s.sentId ? (
        <Sent text={`Thanks — report ${s.sentId.slice(0, 8)} received.`} onClose={close} />
      ) : (
        <form
          className="support-form"
          onSubmit={(e) => void s.run(e, () => sendReport({ what, severity, where, contact }))}
          noValidate
        >
          <p className="muted small">This goes to the people who run this relay. {KEY_WARNING}</p>
          <label htmlFor="report-what">What went wrong?</label>
          <textarea
            id="report-what"
            rows={5}
            maxLength={LIMITS.reportWhatMax}
            value={what}
            aria-invalid={s.error?.field === 'message' ? true : undefined}
            aria-describedby="report-err"
            onChange={(e) => (setWhat(e.target.value), s.clear())}
          />
          <div className="support-row">
            <div>
              <label htmlFor="report-severity">How bad is it?</label>
              <select
                id="report-severity"
                value={severity}
                onChange={(e) => setSeverity(e.target.value as ReportSeverity)}
              >
                {REPORT_SEVERITIES.map((v) => (
                  <option key={v} value={v}>
                    {v}
                  </option>
                ))}
              </select>
            </div>
            <div>
              <label htmlFor="report-where">Where? (optional)</label>
              <input
                id="report-where"
                maxLength={LIMITS.reportWhereMax}
                placeholder="page, button or API route"
                value={where}
                onChange={(e) => setWhere(e.target.value)}
              />
            </div>
          </div>
          <label htmlFor="report-contact">How to reach you (optional)</label>
          <input
            id="report-contact"
            maxLength={LIMITS.reportContactMax}
            autoComplete="email"
            value={contact}
            onChange={(e) => setContact(e.target.value)}
          />
          <FormEnd
            errorId="report-err"
            error={s.error?.error}
            busy={s.busy}
            submit="Send report"
            onCancel={close}
          />
        </form>
      )}
    </Dialog>
  );
}

export function ContactDialog(props: Props) {
  const [message, setMessage] = useState('');
  const [name, setName] = useState('');
  const [email, setEmail] = useState('');
  const s = useSubmit();
  const close = () => {
    if (s.sentId) {
      setMessage('');
      setName('');
      setEmail('');
      s.clear();
    }
    props.onClose();
  };
  return (
    <Dialog open={props.open} onClose={close} title="Get in touch" className="support-dialog">
      {s.sentId ? (
        <Sent text={`Thanks — message delivered (${s.sentId.slice(0, 8)}).`} onClose={close} />
      ) : (
        <form
          className="support-form"
          onSubmit={(e) => void s.run(e, () => sendContact({ message, name, email }))}
          noValidate
        >
          <p className="muted small">A note to the people who run this relay. {KEY_WARNING}</p>
          <label htmlFor="contact-message">Message</label>
          <textarea
            id="contact-message"
            rows={5}
            maxLength={LIMITS.contactMessageMax}
            value={message}
            aria-invalid={s.error?.field === 'message' ? true : undefined}
            aria-describedby="contact-err"
            onChange={(e) => (setMessage(e.target.value), s.clear())}
          />
          <label htmlFor="contact-name">Name (optional)</label>
          <input
            id="contact-name"
            maxLength={LIMITS.contactNameMax}
            autoComplete="name"
            value={name}
            onChange={(e) => setName(e.target.value)}
          />
          <label htmlFor="contact-email">Email (optional, for a reply)</label>
          <input
            id="contact-email"
            type="email"
            maxLength={LIMITS.contactEmailMax}
            autoComplete="email"
            value={email}
            aria-invalid={s.error?.field === 'email' ? true : undefined}
            aria-describedby="contact-err"
            onChange={(e) => (setEmail(e.target.value), s.clear())}
          />
          <FormEnd
            errorId="contact-err"
            error={s.error?.error}
            busy={s.busy}
            submit="Send"
            onCancel={close}
          />
        </form>
      )}
    </Dialog>
  );
}

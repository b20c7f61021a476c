/** The relay's `{"error": …}` text of a failed response, or the status text when it sent none. */
export async function errorText(res: Response): Promise<string> {
  try {
    const b = (await res.json()) as { error?: unknown };
    return typeof b.error === 'string' ? b.error : res.statusText;
  } catch {
    return res.statusText;
  }
}

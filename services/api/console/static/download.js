// Downloads of the API's CSV answers: fetched with the token (a plain link cannot send the
// Authorization header), handed to the browser as a file named as the API names it.

import { errorMessage, request } from "./api.js";

/** Fetch `path` (GET, or POST with a JSON `body`) and save it; answers { ok, file, message }. */
export async function download(path, body) {
  let response;
  try {
    response = await fetch(path, request(body === undefined ? "GET" : "POST", body, "text/csv"));
  } catch (err) {
    return { ok: false, message: String(err.message || err) };
  }
  if (!response.ok) {
    let data = null;
    try { data = await response.json(); } catch { data = null; }
    return { ok: false, message: errorMessage({ status: response.status, body: data }) };
  }
  const disposition = response.headers.get("Content-Disposition") || "";
  const named = /filename="([^"]+)"/.exec(disposition);
  const file = named ? named[1] : "tweetcare.csv";
  const url = URL.createObjectURL(await response.blob());
  const link = document.createElement("a");
  link.href = url;
  link.download = file;
  link.hidden = true;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
  return { ok: true, file };
}

// Calls to this service with the signed-in user's ID token; errors are the API's problem+json
// (already in the user's language through Accept-Language). ETags go out as If-Match. A body is
// sent as JSON, or as multipart when it is FormData (photo uploads; the browser sets the boundary).
export class ApiError extends Error {
  constructor(status, problem) {
    super(problem.detail || problem.title || String(status));
    this.status = status;
    this.problem = problem;
  }
}

export function createApi(session, i18n) {
  async function send(path, { method = "GET", body, ifMatch } = {}, retried = false) {
    const headers = { Authorization: `Bearer ${await session.token()}`, "Accept-Language": i18n.language };
    const multipart = body instanceof FormData;
    if (body !== undefined && !multipart) headers["Content-Type"] = "application/json";
    if (ifMatch) headers["If-Match"] = ifMatch;
    const payload = body === undefined || multipart ? body : JSON.stringify(body);
    const response = await fetch(path, { method, headers, body: payload });
    if (response.status === 401 && !retried && session.state?.refreshToken) {
      await session.refresh();  // revoked or expired early: one fresh token, one retry
      return send(path, { method, body, ifMatch }, true);
    }
    if (response.status === 401) session.signOut();
    return response;
  }

  return {
    // JSON answer and its ETag; an ApiError for any refusal
    async json(path, options) {
      const response = await send(path, options);
      const answer = response.status === 204 ? null : await response.json();
      if (!response.ok) throw new ApiError(response.status, answer || {});
      return { data: answer, etag: response.headers.get("ETag") };
    },
    // an image behind the token, as a blob: URL the page may show (img-src blob:)
    async objectUrl(path) {
      const response = await send(path);
      if (!response.ok) throw new ApiError(response.status, {});
      return URL.createObjectURL(await response.blob());
    },
  };
}

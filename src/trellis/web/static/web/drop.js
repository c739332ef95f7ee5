/* What the drag-and-drop boards (the pipeline, the calendar) share: posting a move as a
 * form with the CSRF token and Accept: application/json, and fetching the page again to
 * replace one element with its fresh copy. Exposed as window.TrellisDrop.
 */
(function () {
  "use strict";

  function post(url, fields, csrfToken) {
    var body = new FormData();
    Object.keys(fields).forEach(function (name) {
      if (fields[name] !== null && fields[name] !== undefined && fields[name] !== "") {
        body.append(name, fields[name]);
      }
    });
    return fetch(url, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { "Accept": "application/json", "X-CSRFToken": csrfToken || "" }
    }).then(function (response) {
      return response.json().catch(function () {
        return { detail: response.statusText };
      }).then(function (data) {
        return { ok: response.ok, status: response.status, data: data };
      });
    });
  }

  function refresh(element) {
    return fetch(window.location.href, { credentials: "same-origin" })
      .then(function (response) { return response.text(); })
      .then(function (html) {
        var fresh = new DOMParser().parseFromString(html, "text/html").getElementById(element.id);
        if (fresh) element.innerHTML = fresh.innerHTML;
      });
  }

  window.TrellisDrop = { post: post, refresh: refresh };
})();

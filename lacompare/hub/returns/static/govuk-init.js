// Starts GOV.UK Frontend's components (error summary focus, service navigation
// menu, buttons) on every hub page. A file, not an inline script: the hub's CSP
// allows scripts from its own origin only. Module scripts run only in browsers
// GOV.UK Frontend supports, so the "supported" class is set here.
import { initAll } from "./govuk/govuk-frontend.min.js";

document.body.classList.add("js-enabled", "govuk-frontend-supported");
initAll();

// API calls of the personal centre, statistics, feedback, announcements and news.
import { apiRequest as request } from './api.js';

const enc = encodeURIComponent;
const qs = (q) => {
  const p = new URLSearchParams();
  Object.entries(q || {}).forEach(([k, v]) => {
    if (v !== undefined && v !== null && v !== '') p.set(k, v);
  });
  const s = p.toString();
  return s ? `?${s}` : '';
};

export const papi = {
  dashboard: () => request('GET', '/api/me/dashboard'),
  preferences: () => request('GET', '/api/me/preferences'),
  setPreferences: (p) => request('PUT', '/api/me/preferences', p),
  uploadAvatar: (file) => {
    const form = new FormData();
    form.append('file', file, file.name);
    return request('POST', '/api/me/avatar', undefined, { form });
  },
  erpStatus: () => request('GET', '/api/erp/status'),
  stats: (q) => request('GET', `/api/stats${qs(q)}`),
  statsExportUrl: (fmt, q) => `/api/stats/export.${fmt}${qs(q)}`,
  announcements: () => request('GET', '/api/announcements'),
  createAnnouncement: (a) => request('POST', '/api/announcements', a),
  deleteAnnouncement: (id) => request('DELETE', `/api/announcements/${enc(id)}`),
  readAnnouncement: (id) => request('POST', `/api/announcements/${enc(id)}/read`),
  feedbackList: () => request('GET', '/api/feedback'),
  uploadFeedbackAttachment: (id, file) => {
    const form = new FormData();
    form.append('file', file, file.name);
    return request('POST', `/api/feedback/${enc(id)}/attachments`, undefined, { form });
  },
  feedbackAttachmentUrl: (id, aid) => `/api/feedback/${enc(id)}/attachments/${enc(aid)}`,
  feedback: (id) => request('GET', `/api/feedback/${enc(id)}`),
  createFeedback: (f) => request('POST', '/api/feedback', f),
  replyFeedback: (id, body) => request('POST', `/api/feedback/${enc(id)}/replies`, { body }),
  feedbackStatus: (id, status) => request('PUT', `/api/feedback/${enc(id)}/status`, { status }),
  news: () => request('GET', '/api/news'),
  feeds: () => request('GET', '/api/news/feeds'),
  addFeed: (url) => request('POST', '/api/news/feeds', { url }),
  deleteFeed: (id) => request('DELETE', `/api/news/feeds/${enc(id)}`),
  fetchFeed: (id) => request('POST', `/api/news/feeds/${enc(id)}/fetch`),
};

/** A rate (0..1 or null) as a percentage; null is "—", never 0% or NaN. */
export function pct(r) {
  return r === null || r === undefined ? '—' : `${Math.round(r * 1000) / 10}%`;
}

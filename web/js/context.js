// App-wide state shared with pages: the signed-in user and the visible projects.
import { createContext, useContext } from '../vendor/htm-preact-standalone.mjs';

export const AppContext = createContext(null);

/** { me, setMe, projects, reloadProjects, setLanguage, logout, sessionEnded } */
export function useApp() {
  return useContext(AppContext);
}

export const ROLES = ['company_admin', 'department_admin', 'member'];

export function isAdmin(user) {
  return !!user && (user.role === 'company_admin' || user.role === 'department_admin');
}

export function isCompanyAdmin(user) {
  return !!user && user.role === 'company_admin';
}

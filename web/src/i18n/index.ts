import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import { en, id, type Messages } from './messages';

export type Lang = 'id' | 'en';

const storageKey = 'enrolment-cases.lang';

/** Indonesian unless the person chose English before (remembered in this browser). */
export function initialLang(storage: Pick<Storage, 'getItem'> | undefined = globalThis.localStorage): Lang {
  return storage?.getItem(storageKey) === 'en' ? 'en' : 'id';
}

export function rememberLang(lang: Lang, storage: Pick<Storage, 'setItem'> | undefined = globalThis.localStorage) {
  storage?.setItem(storageKey, lang);
}

export function messages(lang: Lang): Messages {
  return lang === 'en' ? en : id;
}

export interface I18n {
  lang: Lang;
  t: Messages;
  setLang: (lang: Lang) => void;
}

export const I18nContext = createContext<I18n>({ lang: 'id', t: id, setLang: () => {} });

export const useI18n = () => useContext(I18nContext);

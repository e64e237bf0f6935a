// Issue 7: the two menu entries of the taskforce pages, in the six
// languages. Apart from strings/taskforce.ts (the pages' own strings, loaded
// with them) because the menu is part of the first load.
import type { Lang } from '../i18n';

type NavKey = 'nav_taskforces' | 'nav_directives';
const NAV: Record<Lang, Record<NavKey, string>> = {
  lo: { nav_taskforces: 'ຄະນະສະເພາະກິດ', nav_directives: 'ຄຳສັ່ງ' },
  en: { nav_taskforces: 'Taskforces', nav_directives: 'Directives' },
  th: { nav_taskforces: 'คณะทำงานเฉพาะกิจ', nav_directives: 'คำสั่ง' },
  zh: { nav_taskforces: '专责工作组', nav_directives: '指令' },
  vi: { nav_taskforces: 'Tổ công tác', nav_directives: 'Chỉ đạo' },
  my: { nav_taskforces: 'အထူးအဖွဲ့များ', nav_directives: 'ညွှန်ကြားချက်များ' },
};

export function tfNav(lang: Lang, key: NavKey): string {
  return (NAV[lang] ?? NAV.lo)[key];
}

/**
 * The dashboard's entry point (bundled by scripts/build-ui.ts into web/dist/app.js): defines every
 * component; index.html holds `<kactus-app>`.
 */
import './components/statechart.ts';
import './components/actor-view.ts';
import './components/actor-panel.ts';
import './components/actor-grid.ts';
import './components/timeline.ts';
import './components/yaml-view.ts';
import './components/events-table.ts';
import './components/pod-logs.ts';
import './components/namespace-picker.ts';
import './components/object-list.ts';
import './components/object-page.ts';
import './components/overview.ts';
import './components/catalogue.ts';
import './components/login.ts';
import './components/app.ts';

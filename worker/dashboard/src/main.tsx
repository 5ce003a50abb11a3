/** The Cleave admin dashboard: a small Preact app served by the Worker under /admin/. */

import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { onTokenRefused } from './api';
import { Layout } from './components/Layout';
import { Audience } from './pages/Audience';
import { Calculator } from './pages/Calculator';
import { ExperimentForm } from './pages/ExperimentForm';
import { ExperimentList } from './pages/ExperimentList';
import { Results } from './pages/Results';
import { SignIn } from './pages/SignIn';
import { Integrations } from './pages/Integrations';
import { Units } from './pages/Units';
import { useRoute } from './router';
import { signOut, token } from './session';

function App() {
  const route = useRoute();
  const [signedIn, setSignedIn] = useState(() => token() !== null);
  const [reason, setReason] = useState<string | null>(null);

  useEffect(
    () =>
      onTokenRefused(() => {
        signOut();
        setSignedIn(false);
        setReason('The server no longer accepts the token (was ADMIN_TOKEN changed?). Sign in again.');
      }),
    [],
  );

  const leave = () => {
    signOut();
    setReason(null);
    setSignedIn(false);
  };

  let page;
  if (route.page === 'calculator') page = <Calculator />;
  else if (!signedIn) page = <SignIn reason={reason} onSignedIn={() => (setReason(null), setSignedIn(true))} />;
  else if (route.page === 'new') page = <ExperimentForm />;
  else if (route.page === 'audience') page = <Audience />;
  else if (route.page === 'units') page = <Units />;
  else if (route.page === 'integrations') page = <Integrations />;
  else if (route.page === 'edit') page = <ExperimentForm key={`edit-${route.id}`} id={route.id} />;
  else if (route.page === 'results') page = <Results key={route.id} id={route.id} />;
  else page = <ExperimentList />;

  return (
    <Layout route={route} signedIn={signedIn} onSignOut={leave}>
      {page}
    </Layout>
  );
}

const root = document.getElementById('app');
if (root) render(<App />, root);

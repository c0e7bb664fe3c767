// Prints the adapter the smtpure command picks on the runtime that runs this script.
import { adapterName } from '../../cli/dist/adapter.js'

console.log(adapterName())
